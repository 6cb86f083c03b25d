"""What every stage shares: settings, the values passed between stages, outcomes, targets,
text safety, locks and the run history."""

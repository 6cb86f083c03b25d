"""The report and e-mail templates, installed as package data (pipeline.report_templates)."""

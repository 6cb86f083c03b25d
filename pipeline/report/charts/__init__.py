"""One chart per goal: what it draws, drawing it, and the cache and pool that keep a
week's charts fast."""

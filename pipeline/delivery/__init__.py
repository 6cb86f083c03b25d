"""Getting reports to people: composing messages and sending them."""

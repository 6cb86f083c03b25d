"""Asking the source: range queries over bounded HTTP, split into chunks, decoded, checked
and put on the window's grid."""

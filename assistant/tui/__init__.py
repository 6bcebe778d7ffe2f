"""The terminal chat (Textual). It only renders assistant.conversation."""

"""Outgoing e-mail: every message goes through the outbox table; a task sends it by SMTP when configured."""

"""Audit log of security-relevant actions (logins, role changes, verifications, contract registrations)."""

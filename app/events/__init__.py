"""供需对接会 / 专场: matchmaking events — proposals from the matcher, invitations, registration, agenda, outcomes."""

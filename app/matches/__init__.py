"""Matches: suggested (need, achievement) pairs from the matching engine, their explanations and feedback."""

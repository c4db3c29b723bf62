"""Listings: technology needs (技术需求), achievements (科技成果) with patents, and their review by the bureau."""

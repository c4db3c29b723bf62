"""Home page: the market's headline figures and newest listings."""

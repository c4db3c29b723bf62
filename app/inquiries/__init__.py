"""询价: a verified enterprise asks about an approved achievement; the owner answers, accepts or declines."""

"""In-app notifications: `notify(users, kind, message, url)` and the /notifications page."""

"""Organizations, users, memberships and teams."""

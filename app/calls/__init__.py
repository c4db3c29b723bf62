"""揭榜挂帅: open challenge calls for unsolved needs — publish, apply (eligible organizations, once), select one or none."""

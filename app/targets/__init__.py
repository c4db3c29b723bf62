"""The plan's other targets (专栏13): industrialized patents, certified agencies, major-contribution patents."""

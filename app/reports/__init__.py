"""Reports for the county leadership: the monthly workbook, built by a task, followed with a progress bar."""

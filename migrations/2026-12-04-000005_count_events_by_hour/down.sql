DROP TABLE IF EXISTS event_count_hours;
DROP TABLE IF EXISTS event_counts_hourly;

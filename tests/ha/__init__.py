"""High availability: failover from a crashed primary to its synchronous standby, and nothing
acknowledged lost (decision 0021)."""

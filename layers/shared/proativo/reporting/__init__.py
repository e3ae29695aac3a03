"""What Proativo earned, counted: daily counters from the table's stream and the store's report."""

"""Places: the gazetteer of capitals and large cities, the places articles name, geographic filters."""

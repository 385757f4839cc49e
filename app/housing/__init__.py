"""Housing: flats and collective places, admissions, contracts, rent, arrears, vacancy."""

"""Research analytics: fast loaders (COPY -> pandas), help-seeking measures, ProgSnap2 export,
synthetic cohorts. Only students with research consent are loaded unless a caller audits."""

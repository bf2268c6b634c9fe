"""Research analytics: fast loaders (COPY -> pandas), help-seeking metrics, ProgSnap2 export,
synthetic cohorts. Only students with research consent are loaded unless a caller audits."""

"""The tutor inside notebooks: TutorClient, TutorWidget and the `%tutor` IPython extension."""

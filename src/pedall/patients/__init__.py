"""Patients: the patient model read from the ontology, the records, their RDF form, the readers."""

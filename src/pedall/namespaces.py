"""The RDF namespaces pedall uses (IRIs only; the terms themselves live in ontology/)."""

from rdflib import Namespace

PEDALL = Namespace("https://w3id.org/pedall/")
ONTOLOGY_IRI = "https://w3id.org/pedall/ontology"
PATIENT = Namespace("https://w3id.org/pedall/patient/")
OBO = Namespace("http://purl.obolibrary.org/obo/")
NCIT = Namespace("http://purl.obolibrary.org/obo/NCIT_")
MONDO = Namespace("http://purl.obolibrary.org/obo/MONDO_")
CHEBI = Namespace("http://purl.obolibrary.org/obo/CHEBI_")
HGNC = Namespace("https://identifiers.org/hgnc:")
ECO = Namespace("http://purl.obolibrary.org/obo/ECO_")
FABIO = Namespace("http://purl.org/spar/fabio/")
PRISM = Namespace("http://prismstandard.org/namespaces/basic/2.0/")
BIBO = Namespace("http://purl.org/ontology/bibo/")

PREFIXES: dict[str, str] = {
    "pedall": str(PEDALL),
    "patient": str(PATIENT),
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "sh": "http://www.w3.org/ns/shacl#",
    "obo": str(OBO),
    "NCIT": str(NCIT),
    "MONDO": str(MONDO),
    "CHEBI": str(CHEBI),
    "HGNC": str(HGNC),
    "ECO": str(ECO),
    "fabio": str(FABIO),
    "prism": str(PRISM),
    "bibo": str(BIBO),
}

"""The SPARQL service description (SPARQL 1.1 Service Description) with a VoID
description of the dataset behind it, as an RDF graph."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from pedall.namespaces import PEDALL
from pedall.query.export import EXPORT_FORMATS, GraphStatistics

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")

# The W3C format IRIs of what /sparql can answer with.
RESULT_FORMATS = (
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "JSON-LD",
    "N-Triples",
    "RDF_XML",
)


@dataclass(frozen=True)
class ServiceAddresses:
    """Where the service answers: its SPARQL endpoint and its base for downloads."""

    endpoint: str
    base: str


def service_description(addresses: ServiceAddresses, statistics: GraphStatistics) -> Graph:
    """The service description of the endpoint at ``addresses.endpoint``: read-only
    SPARQL 1.1 Query, the formats it answers in, and its default graph described with
    VoID (triple counts, the IRI space, where the dumps are)."""
    graph = Graph()
    for prefix, namespace in (("sd", SD), ("void", VOID), ("formats", FORMATS)):
        graph.bind(prefix, namespace)
    graph.bind("dcterms", DCTERMS)
    service = URIRef(addresses.endpoint)
    dataset, default_graph = BNode(), URIRef(f"{addresses.base}graph")
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, service))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    for format_name in RESULT_FORMATS:
        graph.add((service, SD.resultFormat, FORMATS[format_name]))
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, SD.defaultGraph, default_graph))
    graph.add((default_graph, RDF.type, SD.Graph))
    graph.add((default_graph, RDF.type, VOID.Dataset))
    graph.add((default_graph, DCTERMS.title, Literal("pedall knowledge graph with inferences")))
    graph.add((default_graph, DCTERMS.source, URIRef(statistics.ontology_iri)))
    if statistics.version_iri:
        graph.add((default_graph, DCTERMS.hasVersion, URIRef(statistics.version_iri)))
    graph.add((default_graph, VOID.sparqlEndpoint, service))
    graph.add((default_graph, VOID.uriSpace, Literal(str(PEDALL))))
    counts = (
        (VOID.triples, statistics.triples_with_inferred),
        (VOID.classes, statistics.classes),
        (VOID.properties, statistics.properties),
        (VOID.entities, statistics.individuals),
    )
    for predicate, count in counts:
        graph.add((default_graph, predicate, Literal(count, datatype=XSD.integer)))
    for name in EXPORT_FORMATS:
        dump = URIRef(f"{addresses.base}download?format={name}&inferred=true")
        graph.add((default_graph, VOID.dataDump, dump))
    return graph

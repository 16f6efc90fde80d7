namespace BoshGateway.Protocol.Xml;

/// <summary>An attribute as written (qualified name) with its value decoded.</summary>
public readonly record struct XmlAttribute(string Name, string Value);

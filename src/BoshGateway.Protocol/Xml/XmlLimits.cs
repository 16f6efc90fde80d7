namespace BoshGateway.Protocol.Xml;

/// <summary>Limits enforced while streaming, before anything is buffered past them.</summary>
public sealed class XmlLimits
{
    /// <summary>Deepest element nesting, counting the stream root as 1. Default 64.</summary>
    public int MaxDepth { get; set; } = 64;

    /// <summary>Most attributes (namespace declarations included) on one element. Default 64.</summary>
    public int MaxAttributes { get; set; } = 64;

    /// <summary>Largest top-level element (stanza) in bytes. Default 256 KiB, as Prosody.</summary>
    public int MaxElementBytes { get; set; } = 256 * 1024;

    /// <summary>Longest element or attribute name in bytes. Default 256.</summary>
    public int MaxNameBytes { get; set; } = 256;

    /// <summary>Longest attribute value kept for the stream header and top-level elements. Default 8 KiB.</summary>
    public int MaxHeaderAttributeBytes { get; set; } = 8 * 1024;

    /// <summary>Shared default instance; do not mutate.</summary>
    public static XmlLimits Default { get; } = new();
}

using BoshGateway.Protocol.Xml;

namespace BoshGateway.Protocol.Tests.Xml;

/// <summary>Records reader events as strings: "H:name", "E:xml", "END".</summary>
internal sealed class RecordingHandler : IXmlStreamHandler
{
    public List<string> Events { get; } = [];

    public List<XmlElement> Elements { get; } = [];

    public List<XmlStreamHeader> Headers { get; } = [];

    public void OnStreamHeader(XmlStreamHeader header)
    {
        Headers.Add(header);
        Events.Add("H:" + header.QualifiedName);
    }

    public void OnElement(XmlElement element)
    {
        Elements.Add(element);
        Events.Add("E:" + element);
    }

    public void OnStreamEnd() => Events.Add("END");
}

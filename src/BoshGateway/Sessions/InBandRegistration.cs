using System.Text;
using System.Xml.Linq;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.Sessions;

/// <summary>Recognises an XEP-0077 registration submission: an <c>iq type='set'</c> carrying a <c>jabber:iq:register</c> query.</summary>
internal static class InBandRegistration
{
    private static readonly XName Query = XName.Get("query", "jabber:iq:register");

    /// <summary>
    /// True for a registration (or cancellation) the client submits. Only <c>iq type='set'</c> elements are parsed, and only
    /// before login, where they are at most <c>Gateway:PreAuth:MaxElementBytes</c>. One that does not parse on its own (a
    /// prefix from the stream header) counts too: a login never needs such an iq.
    /// </summary>
    public static bool IsSubmission(XmlElement element)
    {
        if (element.LocalName != "iq" || element.GetAttribute("type") != "set")
        {
            return false;
        }
        try
        {
            return XElement.Parse(Encoding.UTF8.GetString(element.Raw.Span)).Elements(Query).Any();
        }
        catch (System.Xml.XmlException)
        {
            return true;
        }
    }
}

using System.Net;
using System.Text;

namespace BoshGateway.LoadGenerator;

/// <summary>The few stanzas a load user sends, and the string checks that read the server's answers (no DOM: the generator must stay cheaper than what it measures).</summary>
internal static class Stanzas
{
    public static string Plain(string user, string password) =>
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{password}")) + "</auth>";

    public const string Bind = "<iq type='set' id='bind1' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>load</resource></bind></iq>";

    public const string Presence = "<presence xmlns='jabber:client'/>";

    public static string Message(string to, string body) =>
        $"<message xmlns='jabber:client' to='{to}' type='chat'><body>{WebUtility.HtmlEncode(body)}</body></message>";

    public static bool IsSaslSuccess(string xml) => xml.Contains("<success", StringComparison.Ordinal);

    public static bool IsSaslFailure(string xml) => xml.Contains("<failure", StringComparison.Ordinal);

    /// <summary>A BOSH body that ends the session.</summary>
    public static bool IsTerminate(string xml) =>
        xml.Contains("type='terminate'", StringComparison.Ordinal) || xml.Contains("type=\"terminate\"", StringComparison.Ordinal);

    /// <summary>A stream error, or a BOSH terminate (the session ended).</summary>
    public static bool IsStreamError(string xml) =>
        xml.Contains("stream:error", StringComparison.Ordinal) || xml.Contains("<error xmlns='http://etherx.jabber.org/streams'", StringComparison.Ordinal)
        || IsTerminate(xml);

    public static bool IsSaslChallenge(string xml) => xml.Contains("<challenge", StringComparison.Ordinal);

    /// <summary>The text inside the first <c>&lt;name …&gt;…&lt;/name&gt;</c> (empty for a self-closed one).</summary>
    public static string Text(string xml, string name)
    {
        var start = xml.IndexOf("<" + name, StringComparison.Ordinal);
        var open = start < 0 ? -1 : xml.IndexOf('>', start);
        if (open < 0 || xml[open - 1] == '/')
        {
            return "";
        }
        var close = xml.IndexOf("</" + name, open, StringComparison.Ordinal);
        return close < 0 ? "" : xml[(open + 1)..close];
    }

    public static bool HasBindFeature(string xml) => xml.Contains("urn:ietf:params:xml:ns:xmpp-bind", StringComparison.Ordinal) && xml.Contains("features", StringComparison.Ordinal);

    /// <summary>The bound JID from the bind result, or null.</summary>
    public static string? BoundJid(string xml)
    {
        var start = xml.IndexOf("<jid>", StringComparison.Ordinal);
        var end = xml.IndexOf("</jid>", StringComparison.Ordinal);
        return start >= 0 && end > start ? xml[(start + 5)..end] : null;
    }

    /// <summary>Every chat message body in <paramref name="xml"/> (one WebSocket message, or a BOSH body with several).</summary>
    public static IEnumerable<string> MessageBodies(string xml) => MessageBodiesWithErrors(xml).Select(m => m.Body);

    /// <summary>The value of attribute <paramref name="name"/> in <paramref name="xml"/> (either quote), or null.</summary>
    public static string? Attribute(string xml, string name)
    {
        foreach (var quote in (char[])['\'', '"'])
        {
            var key = $" {name}={quote}";
            var at = xml.IndexOf(key, StringComparison.Ordinal);
            if (at >= 0)
            {
                var start = at + key.Length;
                return xml[start..xml.IndexOf(quote, start)];
            }
        }
        return null;
    }

    /// <summary>How many stanzas (message, presence, iq) <paramref name="xml"/> holds: the XEP-0198 count (no element the generator meets nests one).</summary>
    public static int CountStanzas(string xml)
    {
        var count = 0;
        foreach (var name in (string[])["<message", "<presence", "<iq"])
        {
            var at = 0;
            while ((at = xml.IndexOf(name, at, StringComparison.Ordinal)) >= 0)
            {
                at += name.Length;
                if (at < xml.Length && xml[at] is ' ' or '>' or '/')
                {
                    count++;
                }
            }
        }
        return count;
    }

    /// <summary>The start tag of the first XEP-0198 element <paramref name="name"/> (enabled, resumed, failed, r, a), or null.</summary>
    public static string? SmElement(string xml, string name) => SmElementAt(xml, name, out _);

    /// <summary>As <see cref="SmElement"/>, with the index just past its start tag.</summary>
    public static string? SmElementAt(string xml, string name, out int end)
    {
        end = 0;
        var at = 0;
        while ((at = xml.IndexOf("<" + name, at, StringComparison.Ordinal)) >= 0)
        {
            var after = at + name.Length + 1;
            var close = xml.IndexOf('>', at);
            if (close > 0 && after < xml.Length && xml[after] is ' ' or '/' or '>')
            {
                var tag = xml[at..(close + 1)];
                if (tag.Contains("urn:xmpp:sm:3", StringComparison.Ordinal))
                {
                    end = close + 1;
                    return tag;
                }
            }
            at = after;
        }
        return null;
    }

    /// <summary>How a chat message body arrived: live, bounced back to its sender as an error, or from the archive (XEP-0313).</summary>
    public enum Arrival
    {
        Live,
        Bounced,
        Archived,
    }

    /// <summary>Every chat message body in <paramref name="xml"/>, and how it arrived.</summary>
    public static IEnumerable<(string Body, Arrival How)> MessageBodiesWithErrors(string xml)
    {
        var at = 0;
        while ((at = xml.IndexOf("<message", at, StringComparison.Ordinal)) >= 0)
        {
            var tagEnd = xml.IndexOf('>', at);
            var open = xml.IndexOf("<body>", at, StringComparison.Ordinal);
            var close = open < 0 ? -1 : xml.IndexOf("</body>", open, StringComparison.Ordinal);
            if (close < 0 || tagEnd < 0)
            {
                yield break;
            }
            var tag = xml[at..tagEnd];
            var how = xml.AsSpan(at, open - at).Contains("urn:xmpp:mam:2", StringComparison.Ordinal) ? Arrival.Archived
                : tag.Contains("type='error'", StringComparison.Ordinal) || tag.Contains("type=\"error\"", StringComparison.Ordinal) ? Arrival.Bounced
                : Arrival.Live;
            yield return (WebUtility.HtmlDecode(xml[(open + 6)..close]), how);
            at = close;
        }
    }
}

using System.Text;
using System.Xml.Linq;
using CsCheck;

namespace BoshGateway.Protocol.Tests.Properties;

/// <summary>
/// Generators of valid XMPP stanzas written with every freedom restricted XML allows: single or double
/// quotes, white space around '=' and before '>' or '/>', self-closing or empty elements, nested children,
/// text with the five predefined entities and character references, CDATA sections (the reader allows
/// them inside elements) holding ']' and '>', and characters of every UTF-8 length (4-byte included).
/// The spec keeps the exact text it was written as, so a property can compare bytes.
/// </summary>
internal static class StanzaGen
{
    /// <summary>A prefix only the root declares (stream header or BOSH body): elements using it inherit it.</summary>
    public const string RootPrefix = "x1";
    public const string RootPrefixUri = "urn:gen:root";

    /// <summary>A prefix an element declares on itself.</summary>
    private const string LocalPrefix = "p2";
    private const string LocalPrefixUri = "urn:gen:local";

    private const string ShadowMark = "!";
    private const string ShadowUri = "urn:gen:shadow";

    private static readonly string[] StanzaNames = ["message", "presence", "iq"];
    private static readonly string[] ChildNames = ["body", "subject", "thread", "x", "query", "item", "a-b.c_d", "n1", "error", "text"];
    private static readonly string[] ChildNamespaces = ["jabber:iq:roster", "urn:xmpp:receipts", "http://jabber.org/protocol/muc#user", "urn:a&b", "jabber:client"];
    private static readonly string[] AttrNames = ["to", "from", "id", "type", "xml:lang", "jid", "node", "a-b", "c.d", "_e"];
    private static readonly string[] Spaces = [" ", "  ", "\n", "\t", "\r\n "];
    private static readonly string[] OptionalSpaces = ["", "", "", " ", "\n"];
    private static readonly string[] EqualSigns = ["=", "=", " =", "= ", " = "];
    private static readonly string[] Entities = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"];
    private static readonly string[] CharRefs = ["&#233;", "&#xE9;", "&#x1F600;", "&#128512;", "&#x20AC;", "&#65;", "&#xA;"];
    private static readonly string[] FixedNonAscii = ["é", "ß", "€", "中", "\uFFFD", "😀", "𝄞", "\U0010FFFD", "\U0001F1EB\U0001F1F7"];

    /// <summary>A character of 2, 3 or 4 UTF-8 bytes, any valid XML character of that length.</summary>
    private static readonly Gen<string> NonAscii = Gen.OneOf(
        Gen.Int[0x80, 0x7FF],
        Gen.Int[0x800, 0xD7FF],
        Gen.Int[0xE000, 0xFFFD],
        Gen.Int[0x10000, 0x10FFFF]).Select(cp => new Rune(cp).ToString());

    private static Gen<string> Literal(string chars) => Gen.Char[chars].Array[1, 6].Select(c => new string(c));

    /// <summary>Character data: no raw '&lt;' or '&amp;', and no ']' so "]]&gt;" never appears.</summary>
    private static readonly Gen<string> TextRaw = Gen.Frequency(
        (6, Literal("abcxyzABZ019 .,;:!?-_/'\"=>\t\n")),
        (2, Gen.OneOf(Entities).Select(e => e)),
        (1, Gen.OneOf(CharRefs)),
        (2, Gen.OneOf(FixedNonAscii)),
        (2, NonAscii)).Array[1, 8].Select(string.Concat);

    private static readonly Gen<string> CDataContent = Gen.Frequency(
        (4, Literal("abc <>&'\"=/")),
        (3, Gen.OneOf("]", "]]", "]]]", "]>", "] ]>", "]]x>", "<![CDATA[")),
        (2, Gen.OneOf(FixedNonAscii)),
        (1, NonAscii)).Array[0, 8].Select(string.Concat).Select(s => s.Replace("]]>", "]] >", StringComparison.Ordinal));

    /// <summary>An attribute value as written between <paramref name="quote"/>s: no raw quote, '&lt;' or '&amp;'; no raw tab or newline (XML would normalise them).</summary>
    private static Gen<string> AttrRaw(char quote) => Gen.Frequency(
        (6, Literal(quote == '\'' ? "abcXYZ09@/.:-_ \">=" : "abcXYZ09@/.:-_ '>=")),
        (2, Gen.OneOf(Entities)),
        (1, Gen.OneOf(CharRefs)),
        (2, Gen.OneOf(FixedNonAscii)),
        (1, NonAscii)).Array[0, 5].Select(string.Concat);

    private static readonly Gen<(string Quote, string Raw)> AttrValue =
        from quote in Gen.OneOf('\'', '"')
        from raw in AttrRaw(quote)
        select (quote.ToString(), raw);

    private static readonly Gen<(string Lead, string Eq, (string Quote, string Raw) Value)> AttributeForm =
        Gen.Select(Gen.OneOf(Spaces), Gen.OneOf(EqualSigns), AttrValue);

    /// <summary>Up to <paramref name="max"/> attributes with distinct names picked from <paramref name="names"/>.</summary>
    private static Gen<AttrSpec[]> Attributes(string[] names, int max) =>
        from count in Gen.Int[0, max]
        from picked in Gen.Shuffle(names, count)
        from forms in AttributeForm.Array[count]
        select picked.Take(count).Zip(forms, (name, f) => new AttrSpec(f.Lead, name, f.Eq, f.Value.Quote, f.Value.Raw)).ToArray();

    private static Gen<ElementSpec> Element(Gen<string> name, bool inheritRootPrefix, Gen<NodeSpec[]?> children)
    {
        var attrNames = inheritRootPrefix ? [.. AttrNames, RootPrefix + ":attr"] : AttrNames;
        return Gen.Select(name, Attributes(attrNames, 3), Gen.OneOf(OptionalSpaces), children, Gen.OneOf(OptionalSpaces),
            (n, attrs, beforeClose, kids, endSpace) =>
            {
                if (n.StartsWith(LocalPrefix + ":", StringComparison.Ordinal))
                {
                    attrs = [new AttrSpec(" ", "xmlns:" + LocalPrefix, "=", "'", LocalPrefixUri), .. attrs];
                }
                else if (n.StartsWith(ShadowMark, StringComparison.Ordinal))
                {
                    // The root's prefix declared again on this element, to another namespace: inside it, nothing is inherited.
                    n = n[ShadowMark.Length..];
                    attrs = [new AttrSpec(" ", "xmlns:" + RootPrefix, "=", "\"", ShadowUri), .. attrs];
                }
                return new ElementSpec(n, attrs, beforeClose, kids, endSpace);
            });
    }

    /// <summary>A child element (depth-limited), an optional default namespace of its own, or a prefixed name.</summary>
    private static Gen<NodeSpec> Child(bool inheritRootPrefix) => Gen.Recursive<NodeSpec>((depth, self) =>
    {
        var local = Gen.OneOf(ChildNames);
        var names = Gen.Frequency(
            (6, local),
            (2, local.Select(l => LocalPrefix + ":" + l)),
            (inheritRootPrefix ? 2 : 0, local.Select(l => RootPrefix + ":" + l)),
            (1, local.Select(l => ShadowMark + RootPrefix + ":" + l)));
        var kids = Children(depth < 4 ? self : null);
        var element = Element(names, inheritRootPrefix, kids).SelectMany(e =>
            e.Name.Contains(':', StringComparison.Ordinal)
                ? Gen.Const(e)
                : Gen.OneOf(ChildNamespaces).Null(0.6).Select(ns => ns is null ? e : e with { Attrs = [new AttrSpec(" ", "xmlns", "=", "'", ns.Replace("&", "&amp;", StringComparison.Ordinal)), .. e.Attrs] }));
        return Gen.Frequency(
            (3, TextRaw.Select(t => (NodeSpec)new TextSpec(t))),
            (1, CDataContent.Select(c => (NodeSpec)new CDataSpec(c))),
            (3, element.Select(e => (NodeSpec)e)));
    });

    private static Gen<NodeSpec[]?> Children(Gen<NodeSpec>? child) =>
        child is null
            ? Gen.Frequency((1, Gen.Const((NodeSpec[]?)null)), (2, TextRaw.Select(t => (NodeSpec[]?)[new TextSpec(t)])))
            : Gen.Frequency((1, Gen.Const((NodeSpec[]?)null)), (4, child.Array[0, 4].Select(a => (NodeSpec[]?)a)));

    /// <summary>One stanza. <paramref name="inheritRootPrefix"/>: it may use <see cref="RootPrefix"/> declared only on the root.</summary>
    public static Gen<Stanza> Stanza(bool inheritRootPrefix = true)
    {
        var top = Element(Gen.OneOf(StanzaNames), inheritRootPrefix, Children(Child(inheritRootPrefix)));
        return Gen.Select(top, Gen.Bool, (e, explicitClient) =>
        {
            if (explicitClient)
            {
                e = e with { Attrs = [new AttrSpec(" ", "xmlns", "=", "'", "jabber:client"), .. e.Attrs] };
            }
            return new Stanza(e);
        });
    }

    /// <summary>Several stanzas.</summary>
    public static Gen<Stanza[]> Stanzas(bool inheritRootPrefix = true, int max = 6) => Stanza(inheritRootPrefix).Array[1, max];

    /// <summary>White space a stream may carry between stanzas (keepalives).</summary>
    public static readonly Gen<string> Between = Gen.OneOf("", "", "", " ", "\n", "\r\n\t ");

    /// <summary>
    /// The element as a namespace-aware parser reads it inside a root declaring <paramref name="rootDeclarations"/>,
    /// declarations themselves removed (what they mean is in the names), so elements with the same meaning compare equal
    /// with <see cref="XNode.DeepEquals"/> wherever their declarations were written.
    /// </summary>
    public static XElement Canonical(string elementXml, string rootDeclarations)
    {
        var root = XElement.Parse("<r " + rootDeclarations + ">" + elementXml + "</r>", LoadOptions.PreserveWhitespace);
        var element = root.Elements().Single();
        return Strip(element);
    }

    private static XElement Strip(XElement e) => new(
        e.Name,
        e.Attributes().Where(a => !a.IsNamespaceDeclaration).Select(a => new XAttribute(a.Name, a.Value)),
        e.Nodes().Select(n => n is XElement child ? Strip(child) : n));
}

/// <summary>A generated element, child node or attribute, written exactly as it will be serialised.</summary>
internal abstract record NodeSpec
{
    public abstract void Write(StringBuilder sb);
}

internal sealed record TextSpec(string Raw) : NodeSpec
{
    public override void Write(StringBuilder sb) => sb.Append(Raw);
}

internal sealed record CDataSpec(string Content) : NodeSpec
{
    public override void Write(StringBuilder sb) => sb.Append("<![CDATA[").Append(Content).Append("]]>");
}

internal sealed record AttrSpec(string Lead, string Name, string Eq, string Quote, string Raw)
{
    public void Write(StringBuilder sb) => sb.Append(Lead).Append(Name).Append(Eq).Append(Quote).Append(Raw).Append(Quote);

    /// <summary>The value as a namespace-aware XML parser decodes it.</summary>
    public string Decoded => XElement.Parse("<a v=" + Quote + Raw + Quote + "/>").Attribute("v")!.Value;
}

internal sealed record ElementSpec(string Name, AttrSpec[] Attrs, string BeforeClose, NodeSpec[]? Children, string EndSpace) : NodeSpec
{
    public override void Write(StringBuilder sb)
    {
        sb.Append('<').Append(Name);
        foreach (var a in Attrs)
        {
            a.Write(sb);
        }
        sb.Append(BeforeClose);
        if (Children is null)
        {
            sb.Append("/>");
            return;
        }
        sb.Append('>');
        foreach (var c in Children)
        {
            c.Write(sb);
        }
        sb.Append("</").Append(Name).Append(EndSpace).Append('>');
    }

    public IEnumerable<ElementSpec> DescendantsAndSelf() =>
        Children is null ? [this] : [this, .. Children.OfType<ElementSpec>().SelectMany(c => c.DescendantsAndSelf())];
}

/// <summary>A top-level stanza and its serialisation.</summary>
internal sealed record Stanza(ElementSpec Element)
{
    public string Xml { get; } = Serialise(Element);

    public byte[] Bytes => Encoding.UTF8.GetBytes(Xml);

    /// <summary>
    /// The prefixes the stanza uses without declaring them ("" for the default namespace): what it inherits from the
    /// root, worked out from the generated tree by an independent walk over the declarations in scope.
    /// </summary>
    public IReadOnlySet<string> InheritedPrefixes { get; } = Inherited(Element);

    /// <summary>True when the stanza uses the prefix only the root declares: a transport must add the declaration.</summary>
    public bool UsesRootPrefix => InheritedPrefixes.Contains(StanzaGen.RootPrefix);

    private static HashSet<string> Inherited(ElementSpec top)
    {
        var inherited = new HashSet<string>(StringComparer.Ordinal);
        Walk(top, []);
        return inherited;

        void Walk(ElementSpec e, HashSet<string> declared)
        {
            declared = [.. declared];
            foreach (var a in e.Attrs)
            {
                if (a.Name == "xmlns")
                {
                    declared.Add(string.Empty);
                }
                else if (a.Name.StartsWith("xmlns:", StringComparison.Ordinal))
                {
                    declared.Add(a.Name[6..]);
                }
            }
            var used = new List<string> { Prefix(e.Name) };
            used.AddRange(e.Attrs.Where(a => a.Name.Contains(':', StringComparison.Ordinal) && !a.Name.StartsWith("xmlns", StringComparison.Ordinal)).Select(a => Prefix(a.Name)));
            foreach (var prefix in used)
            {
                if (prefix != "xml" && !declared.Contains(prefix))
                {
                    inherited.Add(prefix);
                }
            }
            foreach (var child in e.Children?.OfType<ElementSpec>() ?? [])
            {
                Walk(child, declared);
            }
        }

        static string Prefix(string name) => name.Contains(':', StringComparison.Ordinal) ? name[..name.IndexOf(':', StringComparison.Ordinal)] : string.Empty;
    }

    public override string ToString() => Xml;

    private static string Serialise(ElementSpec e)
    {
        var sb = new StringBuilder();
        e.Write(sb);
        return sb.ToString();
    }
}

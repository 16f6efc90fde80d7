using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace BoshGateway.Protocol.Xml;

/// <summary>
/// The namespace declarations of a root start tag: prefix to URI, "" for the default namespace. A root declares
/// one to three (at most <see cref="XmlLimits.MaxAttributes"/>, each prefix once: a repeated attribute is refused
/// before), so they are kept in one array and searched in order. A dictionary of two entries is three objects and
/// about 220 bytes, made for every BOSH request and kept by every backend stream for its life.
/// </summary>
internal sealed class NamespaceMap : IReadOnlyDictionary<string, string>
{
    private readonly KeyValuePair<string, string>[] _entries;

    private NamespaceMap(KeyValuePair<string, string>[] entries) => _entries = entries;

    public static NamespaceMap Empty { get; } = new([]);

    /// <summary>The declarations among a start tag's attributes (<c>xmlns</c>, <c>xmlns:p</c>).</summary>
    internal static NamespaceMap Declared(List<XmlAttribute> attributes)
    {
        var count = 0;
        foreach (var a in attributes)
        {
            if (IsDeclaration(a.Name))
            {
                count++;
            }
        }
        if (count == 0)
        {
            return Empty;
        }
        var entries = new KeyValuePair<string, string>[count];
        var i = 0;
        foreach (var a in attributes)
        {
            if (IsDeclaration(a.Name))
            {
                // "xmlns" declares the default namespace; "xmlns:p" the prefix p (shared, not a copy per stream).
                entries[i++] = new(a.Name.Length == 5 ? string.Empty : KnownStrings.Get(a.Name.AsSpan(6)), a.Value);
            }
        }
        return new NamespaceMap(entries);
    }

    private static bool IsDeclaration(string attribute) =>
        attribute == "xmlns" || attribute.StartsWith("xmlns:", StringComparison.Ordinal);

    public int Count => _entries.Length;

    public string this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"no declaration of the prefix '{key}'");

    public IEnumerable<string> Keys => _entries.Select(e => e.Key);

    public IEnumerable<string> Values => _entries.Select(e => e.Value);

    public bool ContainsKey(string key) => TryGetValue(key, out _);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
    {
        foreach (var entry in _entries)
        {
            if (string.Equals(entry.Key, key, StringComparison.Ordinal))
            {
                value = entry.Value;
                return true;
            }
        }
        value = null;
        return false;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, string>>)_entries).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

namespace BoshGateway.Protocol.Xml;

/// <summary>An attribute as written (qualified name) with its value decoded.</summary>
public readonly record struct XmlAttribute(string Name, string Value)
{
    /// <summary>The value of the attribute written as <paramref name="name"/>, or null.</summary>
    internal static string? Find(IReadOnlyList<XmlAttribute> attributes, string name)
    {
        foreach (var a in attributes)
        {
            if (a.Name == name)
            {
                return a.Value;
            }
        }
        return null;
    }
}

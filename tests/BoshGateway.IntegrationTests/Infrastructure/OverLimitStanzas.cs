namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>
/// Robustness A6 and A8 over the wire: stanzas whose structure is over the reader's limits (defaults: depth 64, 64
/// attributes with namespace declarations, names of 256 bytes), and one with a duplicate attribute. Each carries
/// id='over-limits', so a test can check that none reached the other side.
/// </summary>
internal static class OverLimitStanzas
{
    /// <param name="namespaceDeclaration">what the stanza declares (WebSocket: <c>xmlns='jabber:client'</c>; BOSH: nothing)</param>
    /// <param name="malformed">the condition for a duplicate attribute (BOSH <c>bad-request</c>, WebSocket <c>not-well-formed</c>)</param>
    public static TheoryData<string, string> With(string namespaceDeclaration, string malformed)
    {
        var start = $"<message {namespaceDeclaration} id='over-limits' to='bob@localhost'";
        return new()
        {
            { start + ">" + string.Concat(Enumerable.Repeat("<a>", 100)) + string.Concat(Enumerable.Repeat("</a>", 100)) + "</message>", "policy-violation" },
            { start + " " + string.Join(' ', Enumerable.Range(0, 100).Select(i => $"a{i}='x'")) + "/>", "policy-violation" },
            { start + " " + string.Join(' ', Enumerable.Range(0, 100).Select(i => $"xmlns:p{i}='urn:p{i}'")) + "/>", "policy-violation" },
            { start + "><" + new string('x', 300) + "/></message>", "policy-violation" },
            { start + " type='chat' type='normal'/>", malformed },
        };
    }
}

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>One BOSH body posted as it is, for requests a test shapes itself (another node, a replayed rid, a held poll).</summary>
internal static class BoshHttp
{
    /// <summary>Posts <paramref name="body"/> (text/xml, UTF-8) and returns the answer; the status must be 200.</summary>
    public static async Task<string> PostAsync(Uri url, string body, HttpClient? http = null)
    {
        using var own = http is null ? new HttpClient { Timeout = TimeSpan.FromSeconds(30) } : null;
        using var content = new StringContent(body);
        content.Headers.ContentType = new("text/xml") { CharSet = "utf-8" };
        using var response = await (http ?? own!).PostAsync(url, content);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }
}

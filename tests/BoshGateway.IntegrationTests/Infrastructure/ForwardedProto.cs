using System.Text;

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>BOSH requests as a TLS-terminating proxy passes them on: <c>X-Forwarded-Proto</c> names the scheme the client used.</summary>
internal static class ForwardedProto
{
    public static async Task<HttpResponseMessage> PostAsync(HttpClient http, Uri url, string xml, string scheme)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(xml, Encoding.UTF8, "text/xml") };
        request.Headers.Add("X-Forwarded-Proto", scheme);
        return await http.SendAsync(request);
    }
}

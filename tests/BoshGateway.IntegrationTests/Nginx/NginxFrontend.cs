using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Nginx;

/// <summary>
/// A real nginx on loopback running the shipped nginx/boshgateway.conf (TLS on a free port, the
/// test gateway as upstream, a self-signed certificate made for the run).
/// </summary>
public sealed class NginxFrontend : TlsFrontend
{
    private NginxFrontend(string directory, int port, SelfSignedCertificate? tls, string? unavailable)
        : base(directory, port, tls, unavailable)
    {
    }

    public string ConfigFile => Path.Combine(Directory, "nginx.conf");

    public string CertificateFile => Path.Combine(Directory, "cert.pem");

    /// <summary>Starts nginx with the shipped site; several upstream ports make it balance round-robin across them.</summary>
    public static Task<NginxFrontend> StartAsync(string name, params int[] upstreamPorts) => StartAsync(name, site => site, upstreamPorts);

    /// <summary>As above, with the shipped site changed by <paramref name="editSite"/> first (e.g. a timeout scaled down for a test).</summary>
    public static async Task<NginxFrontend> StartAsync(string name, Func<string, string> editSite, params int[] upstreamPorts)
    {
        var dir = RepoPaths.Scratch(name);
        var port = FreePort.Next();
        if (!ProcessRunner.OnPath("nginx"))
        {
            return new NginxFrontend(dir, port, null, "nginx is not installed (apt-get install nginx)");
        }
        var tls = await SelfSignedCertificate.CreateAsync(dir);
        var (cert, key) = (tls.CertificateFile, tls.KeyFile);
        var shipped = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "nginx", "boshgateway.conf"));
        var site = editSite(shipped)
            .Replace("server 127.0.0.1:5380;", string.Join("\n    ", upstreamPorts.Select(p => $"server 127.0.0.1:{p};")), StringComparison.Ordinal)
            .Replace("listen 443 ssl;", $"listen 127.0.0.1:{port} ssl;", StringComparison.Ordinal)
            .Replace("/etc/ssl/certs/chat.example.org.pem", cert, StringComparison.Ordinal)
            .Replace("/etc/ssl/private/chat.example.org.key", key, StringComparison.Ordinal);
        Assert.Contains(cert, site, StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(dir, "boshgateway.conf"), site);
        var user = Environment.UserName == "root" ? "user root;\n" : "";
        await File.WriteAllTextAsync(Path.Combine(dir, "nginx.conf"), $$"""
            {{user}}worker_processes 1;
            pid {{dir}}/nginx.pid;
            error_log {{dir}}/error.log warn;
            events { worker_connections 8192; }
            http {
                access_log off;
                client_body_temp_path {{dir}}/client_body;
                proxy_temp_path {{dir}}/proxy;
                fastcgi_temp_path {{dir}}/fastcgi;
                uwsgi_temp_path {{dir}}/uwsgi;
                scgi_temp_path {{dir}}/scgi;
                include {{dir}}/boshgateway.conf;
            }
            """);
        var frontend = new NginxFrontend(dir, port, tls, null);
        var (tested, testOutput) = await frontend.TestConfigAsync();
        Assert.True(tested == 0, "nginx -t failed: " + testOutput);
        var (exit, output) = await ProcessRunner.RunAsync("nginx", ["-c", frontend.ConfigFile], TimeSpan.FromSeconds(20));
        Assert.True(exit == 0, "nginx did not start: " + output);
        return frontend;
    }

    public Task<(int ExitCode, string Output)> TestConfigAsync() =>
        ProcessRunner.RunAsync("nginx", ["-t", "-c", ConfigFile], TimeSpan.FromSeconds(20));

    /// <summary>
    /// Writes <paramref name="request"/> as it is over a TLS connection of its own (for requests no HTTP client would
    /// write) and returns everything nginx sends back until it closes the connection or 5 s pass.
    /// </summary>
    public async Task<string> ExchangeRawAsync(string request)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, Port);
        await using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, certificate, _, _) => IsThisRunsCertificate(certificate));
        await tls.AuthenticateAsClientAsync("localhost");
        await tls.WriteAsync(System.Text.Encoding.ASCII.GetBytes(request));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int count;
            while ((count = await tls.ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, count);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
        }
        return System.Text.Encoding.ASCII.GetString(received.ToArray());
    }

    protected override async Task StopAsync() => await ProcessRunner.RunAsync("nginx", ["-c", ConfigFile, "-s", "stop"], TimeSpan.FromSeconds(20));
}

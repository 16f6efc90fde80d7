using System.Globalization;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Haproxy;

/// <summary>
/// A real HAProxy on loopback running the shipped deploy/haproxy/boshgateway.cfg (TLS on a free port, the
/// test nodes as servers, a self-signed certificate made for the run), checked with <c>haproxy -c</c> first.
/// </summary>
public sealed class HaproxyFrontend : TlsFrontend
{
    private HaproxyFrontend(string directory, int port, SelfSignedCertificate? tls, string? unavailable)
        : base(directory, port, tls, unavailable)
    {
    }

    private string PidFile => Path.Combine(Directory, "haproxy.pid");

    /// <summary>Starts HAProxy with the shipped configuration, balancing round-robin over <paramref name="nodePorts"/>.</summary>
    public static async Task<HaproxyFrontend> StartAsync(string name, params int[] nodePorts)
    {
        var dir = RepoPaths.Scratch(name);
        var port = FreePort.Next();
        if (!ProcessRunner.OnPath("haproxy"))
        {
            return new HaproxyFrontend(dir, port, null, "haproxy is not installed (apt-get install haproxy)");
        }
        var tls = await SelfSignedCertificate.CreateAsync(dir);
        // HAProxy takes the certificate and its key from one file.
        var bundle = Path.Combine(dir, "haproxy.pem");
        await File.WriteAllTextAsync(bundle, await File.ReadAllTextAsync(tls.CertificateFile) + await File.ReadAllTextAsync(tls.KeyFile));

        var shipped = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "deploy", "haproxy", "boshgateway.cfg"));
        var servers = string.Join("\n    ", nodePorts.Select((p, i) => $"server node{(i + 1).ToString(CultureInfo.InvariantCulture)} 127.0.0.1:{p.ToString(CultureInfo.InvariantCulture)}"));
        var config = Replace(shipped, "server node1 127.0.0.1:5380", servers);
        config = Replace(config, "bind :443 ssl crt /etc/haproxy/certs/chat.example.org.pem", $"bind 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)} ssl crt {bundle}");
        // A test run has no syslog socket and may have a low file limit.
        config = Replace(config, "log /dev/log local0", "");
        config = Replace(config, "maxconn 20000", "maxconn 1000");
        var file = Path.Combine(dir, "haproxy.cfg");
        await File.WriteAllTextAsync(file, config);

        var (exit, output) = await ProcessRunner.RunAsync("haproxy", ["-c", "-f", file], TimeSpan.FromSeconds(20));
        Assert.True(exit == 0, "haproxy -c failed: " + output);
        (exit, output) = await ProcessRunner.RunAsync("haproxy", ["-D", "-p", Path.Combine(dir, "haproxy.pid"), "-f", file], TimeSpan.FromSeconds(20));
        Assert.True(exit == 0, "haproxy did not start: " + output);
        return new HaproxyFrontend(dir, port, tls, null);
    }

    private static string Replace(string config, string shipped, string replacement)
    {
        Assert.Contains(shipped, config, StringComparison.Ordinal);
        return config.Replace(shipped, replacement, StringComparison.Ordinal);
    }

    protected override async Task StopAsync()
    {
        if (File.Exists(PidFile))
        {
            var pid = (await File.ReadAllTextAsync(PidFile)).Trim();
            await ProcessRunner.RunAsync("kill", ["-TERM", pid], TimeSpan.FromSeconds(5));
            for (var i = 0; i < 100 && (await ProcessRunner.RunAsync("kill", ["-0", pid], TimeSpan.FromSeconds(5))).ExitCode == 0; i++)
            {
                await Task.Delay(50);
            }
        }
    }
}

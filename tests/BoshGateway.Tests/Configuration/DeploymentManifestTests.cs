using System.Reflection;
using System.Text.RegularExpressions;
using BoshGateway.Configuration;

namespace BoshGateway.Tests.Configuration;

/// <summary>The deployment files name only configuration keys the code has, and the compose nginx site stays the shipped one.</summary>
public partial class DeploymentManifestTests
{
    private static readonly string Root = FindRoot();

    [Theory]
    [InlineData("deploy/kubernetes/boshgateway.yaml")]
    [InlineData("deploy/compose/compose.yaml")]
    [InlineData("deploy/boshgateway.service")]
    public void EveryGatewayVariable_IsAConfigurationKey(string file)
    {
        var names = GatewayVariable().Matches(File.ReadAllText(Path.Combine(Root, file))).Select(m => m.Value).Distinct().ToList();

        Assert.NotEmpty(names);
        Assert.All(names, name => Assert.True(Resolves(typeof(GatewayOptions), name.Split("__")[1..]), $"{file}: {name} is not a Gateway option"));
    }

    [Fact]
    public void ComposeNginxSite_IsTheShippedSite_WithItsNodesAndCertificates()
    {
        var shipped = File.ReadAllText(Path.Combine(Root, "nginx", "boshgateway.conf"));
        var compose = File.ReadAllText(Path.Combine(Root, "deploy", "compose", "nginx-upstream.conf"));
        var expected = "# Generated from nginx/boshgateway.conf for deploy/compose (node list, certificate paths and proxy_bind changed).\n" + shipped
            .Replace("    proxy_bind 127.0.0.2;\n", "", StringComparison.Ordinal)
            .Replace("server 127.0.0.1:5380;", "server node1:8080;\n    server node2:8080;\n    server node3:8080;", StringComparison.Ordinal)
            .Replace("/etc/ssl/certs/chat.example.org.pem", "/etc/ssl/boshgateway/chat.example.org.pem", StringComparison.Ordinal)
            .Replace("/etc/ssl/private/chat.example.org.key", "/etc/ssl/boshgateway/chat.example.org.key", StringComparison.Ordinal);

        Assert.Equal(expected, compose);
    }

    /// <summary>Walks option properties by name (an index such as <c>AllowedOrigins__0</c> ends at a list).</summary>
    private static bool Resolves(Type type, string[] path)
    {
        foreach (var part in path)
        {
            if (typeof(System.Collections.IEnumerable).IsAssignableFrom(type) && type != typeof(string))
            {
                return int.TryParse(part, out _) || type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IDictionary<,>);
            }
            var property = type.GetProperty(part, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null)
            {
                return false;
            }
            type = property.PropertyType;
        }
        return true;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "BoshGateway.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    [GeneratedRegex("Gateway__[A-Za-z0-9_]+")]
    private static partial Regex GatewayVariable();
}

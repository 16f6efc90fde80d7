using BoshGateway.Configuration;

namespace BoshGateway.Tests.Configuration;

public class GatewayOptionsValidatorTests
{
    [Fact]
    public void Defaults_AreValid() => Assert.True(new GatewayOptionsValidator().Validate(null, new GatewayOptions()).Succeeded);

    [Fact]
    public void BadValues_AreAllNamedByKey()
    {
        var options = new GatewayOptions();
        options.Bosh.Path = "http-bind";
        options.Bosh.MaxHold = 0;
        options.Bosh.Polling = TimeSpan.FromMinutes(5);
        options.Backends.Default.Port = 0;
        options.Backends.AllowedRoutes.Add("no-port");
        options.AllowedOrigins.Add("not a url");

        var result = new GatewayOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        foreach (var key in new[] { "Gateway:Bosh:Path", "Gateway:Bosh:MaxHold", "Gateway:Bosh:Polling", "Gateway:Backends:Default:Port", "AllowedRoutes", "AllowedOrigins" })
        {
            Assert.Contains(key, result.FailureMessage, StringComparison.Ordinal);
        }
        // Each message starts with the full key it is about: start-up prints them one per line.
        Assert.All(result.Failures!, failure => Assert.StartsWith("Gateway:", failure, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void BoshMaxQueuedBytes_NotPositive_IsOneLineNamingTheKey(int value)
    {
        var options = new GatewayOptions();
        options.Bosh.MaxQueuedBytes = value;

        var result = new GatewayOptionsValidator().Validate(null, options);

        Assert.Equal(["Gateway:Bosh:MaxQueuedBytes must be positive."], result.Failures);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(601)]
    public void BoshSendTimeout_OutOfRange_IsOneLineNamingTheKey(double seconds)
    {
        var options = new GatewayOptions();
        options.Bosh.SendTimeout = TimeSpan.FromSeconds(seconds);

        var result = new GatewayOptionsValidator().Validate(null, options);

        Assert.Equal(["Gateway:Bosh:SendTimeout must be between 1 s and 10 min."], result.Failures);
    }

    [Theory]
    [InlineData(-1, 5, "Gateway:Throttle:RegistrationsPerHour must not be negative.")]
    [InlineData(6, 0, "Gateway:Throttle:RegistrationBurst must be at least 1.")]
    public void RegistrationThrottle_Bad_IsOneLineNamingTheKey(int perHour, int burst, string message)
    {
        var options = new GatewayOptions();
        options.Throttle.RegistrationsPerHour = perHour;
        options.Throttle.RegistrationBurst = burst;

        Assert.Equal([message], new GatewayOptionsValidator().Validate(null, options).Failures);
    }

    [Theory]
    [InlineData("-00:00:01")]
    [InlineData("5.00:00:00")] // "5" binds as five days
    public void ShutdownGrace_NegativeOrHuge_IsOneLineNamingTheKey(string value)
    {
        var options = new GatewayOptions { ShutdownGrace = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture) };

        var result = new GatewayOptionsValidator().Validate(null, options);

        Assert.Equal(["Gateway:ShutdownGrace must be between 0 and 5 min."], result.Failures);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("00:05:00")]
    public void ShutdownGrace_ZeroOrFiveMinutes_IsValid(string value)
    {
        var options = new GatewayOptions { ShutdownGrace = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture) };

        Assert.True(new GatewayOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void StatusPage_BadValues_AreNamedByKey()
    {
        var options = new GatewayOptions();
        options.Status.Enabled = true;
        options.Status.Path = "/http-bind";
        options.Status.BearerToken = "short";
        options.Status.SampleInterval = TimeSpan.FromMilliseconds(100);
        options.Status.History = TimeSpan.FromDays(2);

        var result = new GatewayOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        foreach (var key in new[] { "Gateway:Status:Path must not be Gateway:Bosh:Path", "Gateway:Status:BearerToken", "Gateway:Status:SampleInterval", "Gateway:Status:History" })
        {
            Assert.Contains(key, result.FailureMessage, StringComparison.Ordinal);
        }
        options.Status.Path = "/";
        Assert.Contains("Gateway:Status:Path must start with '/'", new GatewayOptionsValidator().Validate(null, options).FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Startup_WithABadValue_StopsWithTheMessage()
    {
        var ex = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() =>
        {
            var app = BoshGateway.Hosting.GatewayApplication.Build(["--urls=http://127.0.0.1:0", "--Gateway:Bosh:MaxHold=99"]);
            app.StartAsync(TestContext.Current.CancellationToken).GetAwaiter().GetResult();
        });
        Assert.Contains("Gateway:Bosh:MaxHold", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Redis_WithoutASecretOrWithABadNodeId_IsRefused()
    {
        var options = new GatewayOptions { Redis = "127.0.0.1:6379" };
        options.Node.Id = "node.1";
        options.Cluster.Secret = "short";

        var result = new GatewayOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Gateway:Cluster:Secret", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Gateway:Node:Id", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Redis_WithSecretAndNodeId_IsValid()
    {
        var options = new GatewayOptions { Redis = "127.0.0.1:6379" };
        options.Node.Id = "node-1";
        options.Node.InternalUrl = "http://10.0.0.5:8080";
        options.Cluster.Secret = new string('s', 32);

        Assert.True(new GatewayOptionsValidator().Validate(null, options).Succeeded);
    }
}

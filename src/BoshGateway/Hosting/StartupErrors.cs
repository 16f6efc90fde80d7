using Microsoft.Extensions.Options;

namespace BoshGateway.Hosting;

/// <summary>
/// Turns a configuration error at start-up into the lines an operator reads: one per problem,
/// <c>BoshGateway: invalid configuration: Gateway:Bosh:MaxWait must be ...</c>. Anything else is not
/// described (and stays an unhandled exception with its stack trace).
/// </summary>
internal static class StartupErrors
{
    /// <summary>The process exit code for an invalid configuration (1 is taken by unhandled exceptions' callers).</summary>
    public const int ExitCode = 2;

    private const string Prefix = "BoshGateway: invalid configuration: ";

    /// <summary>The lines for a configuration error, or none when <paramref name="exception"/> is something else.</summary>
    public static IReadOnlyList<string> Describe(Exception exception)
    {
        var lines = new List<string>();
        foreach (var inner in exception is AggregateException aggregate ? aggregate.Flatten().InnerExceptions : [exception])
        {
            switch (inner)
            {
                case OptionsValidationException invalid:
                    lines.AddRange(invalid.Failures.Select(OneLine));
                    break;
                case InvalidOperationException when IsBinderError(inner):
                    // "Failed to convert configuration value 'abc' at 'Gateway:Bosh:MaxWait' to type 'System.TimeSpan'."
                    lines.Add(OneLine(inner.Message));
                    break;
                default:
                    return [];
            }
        }
        return lines;
    }

    private static string OneLine(string failure) => Prefix + failure.ReplaceLineEndings(" ");

    /// <summary>A value the configuration binder could not convert (the message names the key).</summary>
    private static bool IsBinderError(Exception exception) =>
        exception.TargetSite?.DeclaringType == typeof(ConfigurationBinder);
}

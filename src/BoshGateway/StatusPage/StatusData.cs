using System.Text.Json;
using System.Text.Json.Serialization;

namespace BoshGateway.StatusPage;

/// <summary>
/// What <c>{Gateway:Status:Path}/data</c> answers: the sample times (Unix seconds, oldest first) and,
/// per family (<c>sessions</c>, <c>stanzas</c>, ...), one array of points per tag value, each as long as
/// <see cref="Time"/>.
/// </summary>
internal sealed record StatusData(
    double IntervalSeconds,
    double HistorySeconds,
    long[] Time,
    Dictionary<string, StatusFamilyData> Families);

/// <summary>One chart's worth: its unit and its series by tag value.</summary>
internal sealed record StatusFamilyData(string Unit, Dictionary<string, double[]> Series);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(StatusData))]
internal sealed partial class StatusJsonContext : JsonSerializerContext;

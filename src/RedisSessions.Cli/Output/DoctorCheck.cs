namespace RedisSessions.Cli.Output;

/// <summary>One <c>doctor</c> finding. <see cref="Status"/>: <c>ok</c>, <c>info</c>, <c>skip</c> (the server refused the
/// command the check needs: CONFIG or INFO on a managed Redis or for an ACL user), <c>warn</c> or <c>fail</c>; warn and
/// fail are problems (exit code 4).</summary>
internal sealed class DoctorCheck
{
    public const string Ok = "ok";
    public const string Info = "info";
    public const string Skip = "skip";
    public const string Warn = "warn";
    public const string Fail = "fail";

    public required string Check { get; init; }
    public required string Status { get; init; }
    public required string Server { get; init; }
    public required string Detail { get; init; }

    public bool IsProblem => Status is Warn or Fail;
}

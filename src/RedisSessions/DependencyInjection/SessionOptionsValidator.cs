using Microsoft.Extensions.Options;

namespace RedisSessions;

/// <summary>Validates <see cref="SessionOptions"/> bound from configuration, naming each bad setting.</summary>
internal sealed class SessionOptionsValidator : IValidateOptions<SessionOptions>
{
    public ValidateOptionsResult Validate(string? name, SessionOptions options)
    {
        var problems = options.GetProblems().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

using RedisSessions.Cli;

return await CliApp.RunAsync(args);

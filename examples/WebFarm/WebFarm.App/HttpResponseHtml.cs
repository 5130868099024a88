namespace WebFarm.App;

internal static class HttpResponseHtml
{
    public static Task WriteAsHtmlAsync(this HttpResponse response, string html)
    {
        response.ContentType = "text/html; charset=utf-8";
        return response.WriteAsync(html);
    }
}

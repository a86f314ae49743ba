/* SPDX-License-Identifier: MIT */
/*
 * glue_check.c — web/src/sdweb.c natively, under AddressSanitizer and
 * UBSan (make check-web): every operation, and requests no page sends
 * (malformed escapes, too many keys, bad constants, unknown operations),
 * each answered by one JSON object that says ok or why not.
 *
 * A table of {request, text the answer must contain}; prints
 * "glue: N passed, N failed".
 */
#include <stdio.h>
#include <string.h>

char *sdweb_call(const char *form);
void sdweb_free(char *s);
const char *sdweb_version(void);

typedef struct GlueCase {
    const char *request;
    const char *expect; /* a part of the answer */
} GlueCase;

#define LOGISTIC "program=l+%3D+x%3B+repeat+n+%7B+l+%3D+4*l*(1-l)+%7D+l"

static const GlueCase cases[] = {
    {"op=derive&program=x%5E2+ln(x%5E2)", "\"text\": \"2*x*(1 + ln(x^2))\\n\""},
    {"program=x%5E2+ln(x%5E2)", "\"ok\": true"},
    {"op=derive&program=2*(x%2B", "\"line\": 1, \"column\": 6, \"offset\": 5, \"length\": 1"},
    {"op=derive&program=2*(x%2B", "\"severity\": \"note\", \"line\": 1, \"column\": 3"},
    {"op=derive&program=%23+%E2%88%82%0Ay+%3D+x%3B%0Ay+*+(x+%2B*+2)", "\"line\": 3"},
    {"op=derive&program=3%2B4", "\"value_text\": \"7\\n\""},
    {"op=derive&program=x*y&what=hessian", "\"name\": \"hessian\""},
    {"op=derive&program=x%5E5&what=nth&order=3", "60*x^2"},
    {"op=derive&program=x%5E2*y&wrt=y", "\"text\": \"x^2\\n\""},
    {"op=derive&program=x%5E2*y&wrt=z", "\"ok\": false"},
    {"op=derive&program=(x%2B1)%5E2&expand=1&what=function", "\"ok\": true"},
    {"op=derive&" LOGISTIC "&defines=n%3D3", "\"ok\": true"},
    {"op=derive&" LOGISTIC, "repeat count"},
    {"op=derive&" LOGISTIC "&defines=n", "is not NAME=VALUE"},
    {"op=derive&" LOGISTIC "&defines=3%3Dn", "needs a name and a number"},
    {"op=derive&" LOGISTIC "&defines=n%3D1%2C+n%3D2", "is given twice"},
    {"op=derive&" LOGISTIC "&defines=n%3Dinf", "needs a name and a number"},
    {"op=trace&program=sin(x%5E2)", "[chain rule: sin' = cos]"},
    {"op=eval&program=x%5E2+ln(x%5E2)&at=x%3D3&check=1", "\"gradient\": [19.183347464017316]"},
    {"op=eval&program=x%5E2+ln(x%5E2)&at=x%3D3&check=1", "\"ok\": true}"},
    {"op=eval&program=x%5E2+ln(x%5E2)&at=y%3D3", "\"ok\": false"},
    {"op=eval&program=ln(x)&at=x%3D-1&check=1", "\"ok\": true"},
    {"op=swell&" LOGISTIC "&defines=n%3D3&name=n&lo=1&hi=4&at=x%3D0.3", "n = 1..4"},
    {"op=swell&" LOGISTIC "&defines=n%3D3&name=n&lo=1&hi=3&at=x%3D0.3", "\"nodes\": 157"},
    {"op=swell&" LOGISTIC "&defines=n%3D3&name=n&lo=1&hi=3&at=q%3D1", "\"point_error\": \""},
    {"op=swell&" LOGISTIC "&name=n&lo=5&hi=2", "fewer than"},
    {"op=swell&" LOGISTIC "&name=1n&lo=1&hi=2", "is not a name"},
    {"op=swell&program=x%5E3", "\"svg\": null"},
    {"op=dot&program=x*y", "digraph symdiff"},
    {"op=dot&program=x*y&tree=1", "t0 [label="},
    {"op=dot&program=x%5E2+%2B+2*x", "[label=\\\"2\\\", shape=plaintext, fontsize=10"},
    {"op=dot&program=x%5E2+%2B+2*x&shared=1", "[label=\\\"2\\\", shape=plaintext];"},
    {"op=swell&" LOGISTIC "&name=n&lo=1&hi=3&title=On+a+slide&width=1280&height=720",
     "width=\\\"1280\\\" height=\\\"720\\\""},
    {"op=swell&" LOGISTIC "&name=n&lo=1&hi=3&title=On+a+slide", "<title>On a slide</title>"},
    {"op=swell&" LOGISTIC "&name=n&lo=1&hi=3&title=", "<title>Size of the derivative by method, for n = 1..3"},
    {"op=swell&" LOGISTIC "&name=n&lo=1&hi=3", "(the same values as forward-mode AD (ops))"},
    {"op=emit&program=x*y&kind=reverse&name=k", "k_grad"},
    {"op=emit&program=x*y&name=int", "not usable in C"},
    {"op=emit&program=x*y&type=float&kind=forward", "float"},
    {"op=nothing&program=x", "unknown operation"},
    {"", "\"ok\": false"},
    {"&&&=&", "\"ok\": false"},
    {"op=derive&program=%ZZx%2", "\"ok\": false"},
    {"op=derive&program=x%00y", "\"column\": 2"},
    {"op=derive&program=x&defines=n%3D1%00", "could not be read"},
    {"op=derive&program=x&wr%00t=x", "could not be read"},
    {"a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11&l=12&m=13&n=14&o=15&p=16&q=17&r=18&s=19&"
     "t=20&u=21&v=22&w=23&x=24&y=25&z=26&A=27&B=28&C=29&D=30&E=31&F=32&G=33",
     "could not be read"},
};

int main(void) {
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *answer = sdweb_call(cases[i].request);
        int ok = answer && answer[0] == '{' && strstr(answer, "\"ok\": ") &&
                 strstr(answer, cases[i].expect) && answer[strlen(answer) - 1] == '}';
        if (ok) {
            passed++;
        } else {
            failed++;
            printf("glue: FAILED %s\n  expected %s in %.400s\n", cases[i].request, cases[i].expect,
                   answer ? answer : "(null)");
        }
        sdweb_free(answer);
    }
    printf("glue: engine %s, %d passed, %d failed\n", sdweb_version(), passed, failed);
    return failed != 0;
}

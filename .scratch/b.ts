import { z } from "zod";
const s = z.string().regex(/^[a-z]+\/.+$/, { message: "bad", abort: true }).refine((v) => v.startsWith("ok"), { message: "unknown" });
console.log(s.safeParse("gpt").error?.issues.map(i=>i.message));
console.log(s.safeParse("foo/x").error?.issues.map(i=>i.message));
console.log(s.safeParse("ok/x").success);
const t = z.string().refine((v) => v.startsWith("ok"), { error: (iss) => `unknown ${JSON.stringify(iss.input)}` });
console.log(t.safeParse("x").error?.issues.map(i=>i.message));

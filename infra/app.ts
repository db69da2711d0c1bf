/**
 * The CDK app (`npx cdk synth|deploy`, see cdk.json). Context keys and their defaults are in
 * settings.ts. cdk-nag's AWS Solutions rules validate every synth, so a new finding fails it until
 * it is fixed or acknowledged in nag-suppressions.ts.
 */
import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { addRouteIq } from "./routeiq";

const app = new App();
addRouteIq(app);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

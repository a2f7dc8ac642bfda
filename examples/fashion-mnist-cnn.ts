/**
 * The Keras "simple MNIST convnet" example, on Fashion-MNIST, line for line in Kiln's Keras API:
 * Sequential model, compile, fit with a validation split and a progress bar, evaluate, predict.
 * Writes the training history as an SVG chart.
 *
 * Run: npm run example    (options: EPOCHS=10 BATCH=128 KILN_BACKEND=reference HISTORY_SVG=history.svg)
 */
import { writeFileSync } from "node:fs";
import { np } from "../src/index.js";
import { Input, Sequential, datasets, layers, plotHistory, utils } from "../src/nn/index.js";

const EPOCHS = Number(process.env.EPOCHS ?? 10);
const BATCH = Number(process.env.BATCH ?? 128);
const SVG = process.env.HISTORY_SVG ?? "fashion-mnist-history.svg";
const numClasses = 10;
const inputShape = [28, 28, 1];

// Load the data and split it between train and test sets.
let [[xTrain, yTrain], [xTest, yTest]] = datasets.fashionMnist.loadData();

// Scale images to the [0, 1] range and make sure they have shape (28, 28, 1).
xTrain = np.expandDims(xTrain.div(255), -1);
xTest = np.expandDims(xTest.div(255), -1);
console.log("x_train shape:", xTrain.shape);
console.log(xTrain.shape[0], "train samples");
console.log(xTest.shape[0], "test samples");

// Convert class vectors to binary class matrices.
const yTrainCat = utils.toCategorical(yTrain, numClasses);
const yTestCat = utils.toCategorical(yTest, numClasses);

const model = new Sequential([
  Input({ shape: inputShape }),
  new layers.Conv2D(32, [3, 3], { activation: "relu" }),
  new layers.MaxPooling2D([2, 2]),
  new layers.Conv2D(64, [3, 3], { activation: "relu" }),
  new layers.MaxPooling2D([2, 2]),
  new layers.Flatten(),
  new layers.Dropout(0.5),
  new layers.Dense(numClasses, { activation: "softmax" }),
]);
model.summary();

model.compile({ loss: "categorical_crossentropy", optimizer: "adam", metrics: ["accuracy"] });
const history = await model.fit(xTrain, yTrainCat, { batchSize: BATCH, epochs: EPOCHS, validationSplit: 0.1 });

const [loss, accuracy] = model.evaluate(xTest, yTestCat, { verbose: 0 }) as number[];
console.log("Test loss:", loss.toFixed(4));
console.log("Test accuracy:", accuracy.toFixed(4));

const first = np.argmax(model.predict(xTest.index("0:8")), { axis: -1 }).toArray() as number[];
const names = datasets.fashionMnist.classNames;
console.log("First test images:", first.map((c) => names[c]).join(", "));

writeFileSync(SVG, plotHistory(history, { title: `Fashion-MNIST CNN: test accuracy ${accuracy.toFixed(4)}` }));
console.log(`Training history written to ${SVG}`);

"""keras.io's "Knowledge Distillation"
(https://keras.io/examples/vision/knowledge_distillation/), Keras 3 version, shrunk
to the 8x8 digits: a Conv2D teacher trained as usual, a Distiller(keras.Model) whose
compile() takes the student and distillation losses and whose compute_loss()
(Keras 3's signature, without `training`) runs the teacher and mixes
SparseCategoricalCrossentropy with KLDivergence of ops.softmax(logits / T) scaled
by T², call() returning the student's logits; keras.models.clone_model(student)
trained from scratch for comparison. The teacher is an attribute of the Distiller,
so its weights are the Distiller's too and receive the distillation gradient, in
Keras as in pynn."""
import numpy as np

import keras
from keras import layers
from keras import ops

from keras_examples._data import digits


class Distiller(keras.Model):
    def __init__(self, student, teacher):
        super().__init__()
        self.teacher = teacher
        self.student = student

    def compile(
        self,
        optimizer,
        metrics,
        student_loss_fn,
        distillation_loss_fn,
        alpha=0.1,
        temperature=3,
    ):
        super().compile(optimizer=optimizer, metrics=metrics)
        self.student_loss_fn = student_loss_fn
        self.distillation_loss_fn = distillation_loss_fn
        self.alpha = alpha
        self.temperature = temperature

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, allow_empty=False
    ):
        teacher_pred = self.teacher(x, training=False)
        student_loss = self.student_loss_fn(y, y_pred)

        distillation_loss = self.distillation_loss_fn(
            ops.softmax(teacher_pred / self.temperature, axis=1),
            ops.softmax(y_pred / self.temperature, axis=1),
        ) * (self.temperature**2)

        loss = self.alpha * student_loss + (1 - self.alpha) * distillation_loss
        return loss

    def call(self, x):
        return self.student(x)


def data():
    (x_train, y_train), (x_test, y_test) = digits()
    x_train = np.reshape(x_train.astype("float32") / 16.0, (-1, 8, 8, 1))
    x_test = np.reshape(x_test.astype("float32") / 16.0, (-1, 8, 8, 1))
    return (x_train, y_train.astype("float32")), (x_test, y_test.astype("float32"))


def make_models():
    # Create the teacher
    teacher = keras.Sequential(
        [
            keras.Input(shape=(8, 8, 1)),
            layers.Conv2D(32, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.MaxPooling2D(pool_size=(2, 2), strides=(1, 1), padding="same"),
            layers.Conv2D(64, (3, 3), strides=(2, 2), padding="same"),
            layers.Flatten(),
            layers.Dense(10),
        ],
        name="teacher",
    )
    # Create the student
    student = keras.Sequential(
        [
            keras.Input(shape=(8, 8, 1)),
            layers.Conv2D(4, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.MaxPooling2D(pool_size=(2, 2), strides=(1, 1), padding="same"),
            layers.Conv2D(8, (3, 3), strides=(2, 2), padding="same"),
            layers.Flatten(),
            layers.Dense(10),
        ],
        name="student",
    )
    return teacher, student


def build():
    teacher, student = make_models()
    distiller = Distiller(student=student, teacher=teacher)
    distiller.compile(
        optimizer=keras.optimizers.Adam(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
        student_loss_fn=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        distillation_loss_fn=keras.losses.KLDivergence(),
        alpha=0.1,
        temperature=10,
    )
    distiller(np.zeros((1, 8, 8, 1), "float32"))
    return distiller


# ~160 Adam steps in all on float32 sums taken in another order
PARITY_KEYS = ["teacher_history", "teacher_eval", "distill_history", "distill_eval",
               "student_weights", "scratch_shapes"]
PARITY_TOL = (5e-3, 1e-4)


def run(distiller, data, tmpdir):
    (x_train, y_train), (x_test, y_test) = data
    teacher, student = distiller.teacher, distiller.student
    out = {}
    # Clone student for later comparison
    student_scratch = keras.models.clone_model(student)
    # Train teacher as usual
    teacher.compile(
        optimizer=keras.optimizers.Adam(),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    out["teacher_history"] = teacher.fit(x_train, y_train, epochs=5, batch_size=64,
                                         shuffle=False, verbose=0).history
    out["teacher_eval"] = teacher.evaluate(x_test, y_test, verbose=0)
    # Distill teacher to student
    out["distill_history"] = distiller.fit(x_train, y_train, epochs=2, batch_size=64,
                                           shuffle=False, verbose=0).history
    out["distill_eval"] = distiller.evaluate(x_test, y_test, verbose=0)
    out["student_weights"] = student.get_weights()
    # Train student as done usually
    student_scratch.compile(
        optimizer=keras.optimizers.Adam(),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    out["scratch_history"] = student_scratch.fit(x_train, y_train, epochs=2, batch_size=64,
                                                 shuffle=False, verbose=0).history
    out["scratch_shapes"] = [list(w.shape) for w in student_scratch.get_weights()]
    out["scratch_is_new"] = [bool(np.array_equal(a, b)) for a, b in
                             zip(student_scratch.get_weights(), student.get_weights())]
    return out


def check(out):
    assert out["teacher_eval"][1] > 0.75  # ten digits: chance is 0.1
    h = out["distill_history"]
    assert sorted(h) == ["loss", "sparse_categorical_accuracy"]
    assert h["loss"][-1] < 0.7 * h["loss"][0]  # the student moves towards the teacher
    assert len(out["scratch_shapes"]) == 6 and not any(out["scratch_is_new"])
    assert out["scratch_history"]["loss"][-1] < out["scratch_history"]["loss"][0]
